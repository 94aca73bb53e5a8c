variable "name" {
  description = "Prefix of the names of the distribution's function and policies."
  type        = string
}

variable "bucket_name" {
  description = "The bucket holding the renditions."
  type        = string
}

variable "bucket_arn" {
  description = "ARN of that bucket."
  type        = string
}

variable "bucket_regional_domain_name" {
  description = "The bucket's regional domain name, CloudFront's origin."
  type        = string
}

variable "output_prefix" {
  description = "The renditions' key prefix; the distribution serves only keys under it, at its root."
  type        = string
}

variable "renditions" {
  description = "The processor's RENDITIONS setting: the function serves each rendition in the formats it names."
  type        = string
}

variable "price_class" {
  description = "Which edge locations serve: PriceClass_100 (North America, Europe), PriceClass_200 or PriceClass_All."
  type        = string
  default     = "PriceClass_100"
  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "max_age_seconds" {
  description = "How long edges and browsers keep a rendition: renditions of a key change only when it is uploaded again."
  type        = number
  default     = 86400
}

variable "tags" {
  description = "Tags for every resource of this module."
  type        = map(string)
  default     = {}
}
